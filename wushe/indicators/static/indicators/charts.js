/* Charts of the indicator pages (Apache ECharts from static/vendor). Data comes from the
   page's <script type="application/json" id="chart-data">. */
(function () {
  "use strict";
  // Tooltips drawn inside the chart: ECharts' HTML tooltips carry style="…" attributes, which
  // the Content Security Policy refuses (wushe/core/security.py).
  var TOOLTIP_MODE = "richText";
  var COLORS = { met: "#2e9d57", close: "#e0a100", behind: "#d93025", other: "#9aa3ad" };

  function data() {
    var node = document.getElementById("chart-data");
    return node ? JSON.parse(node.textContent) : {};
  }

  function children(el, d) {
    return {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, renderMode: TOOLTIP_MODE },
      legend: { data: [d.names.met, d.names.close, d.names.behind] },
      grid: { left: 8, right: 16, bottom: 8, top: 36, containLabel: true },
      xAxis: { type: "category", data: d.labels, axisLabel: { interval: 0, rotate: d.labels.length > 8 ? 40 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: d.names.met, type: "bar", stack: "s", data: d.met, itemStyle: { color: COLORS.met } },
        { name: d.names.close, type: "bar", stack: "s", data: d.close, itemStyle: { color: COLORS.close } },
        { name: d.names.behind, type: "bar", stack: "s", data: d.behind, itemStyle: { color: COLORS.behind } }
      ]
    };
  }

  function trend(el, d) {
    var t = d.trend;
    return {
      tooltip: { trigger: "axis", renderMode: TOOLTIP_MODE },
      legend: { top: 0, data: [t.name, t.target_name] },
      grid: { left: 8, right: 16, bottom: 8, top: 36, containLabel: true },
      xAxis: { type: "category", data: t.labels },
      yAxis: { type: "value", name: d.unit },
      series: [
        { name: t.name, type: "line", data: t.values, connectNulls: false, itemStyle: { color: "#c8102e" } },
        { name: t.target_name, type: "line", data: t.targets, lineStyle: { type: "dashed" }, symbol: "none", itemStyle: { color: "#5f6b7a" } }
      ]
    };
  }

  function ranking(el, d) {
    var r = d.ranking;
    var bars = r.values.map(function (v, i) {
      return { value: v, itemStyle: { color: COLORS[r.status[i]] || COLORS.other } };
    });
    var series = { type: "bar", data: bars, label: { show: true, position: "right" } };
    if (r.target !== null) {
      series.markLine = { symbol: "none", data: [{ xAxis: r.target }], lineStyle: { type: "dashed", color: "#5f6b7a" } };
    }
    return {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, renderMode: TOOLTIP_MODE },
      grid: { left: 8, right: 48, bottom: 8, top: 16, containLabel: true },
      xAxis: { type: "value", name: d.unit },
      yAxis: { type: "category", data: r.labels },
      series: [series]
    };
  }

  var BUILDERS = { children: children, trend: trend, ranking: ranking };

  function init() {
    // [data-print] buttons are wired by wushe/app.js on every page.
    if (typeof window.echarts === "undefined") { return; }
    var d = data();
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var build = BUILDERS[el.getAttribute("data-chart")];
      if (!build) { return; }
      if (el.getAttribute("data-chart") === "ranking" && d.ranking && d.ranking.labels.length > 12) {
        el.style.height = (d.ranking.labels.length * 22 + 60) + "px";
      }
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(build(el, d));
      el.setAttribute("data-ready", "1");
      charts.push(chart);
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
    window.addEventListener("beforeprint", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
