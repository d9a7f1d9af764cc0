// Summary charts of a batch proposal (ECharts from our vendor dir); data from json_script.
// Tooltips in richText mode: ECharts' HTML tooltips carry style="…" attributes, which the
// Content Security Policy refuses (wushe/core/security.py).
document.addEventListener("DOMContentLoaded", function () {
  var node = document.getElementById("proposal-charts");
  if (!node || !window.echarts) return;
  var d = JSON.parse(node.textContent);
  var L = d.labels;
  echarts.init(document.getElementById("chart-coverage")).setOption({
    title: { text: L.coverage, textStyle: { fontSize: 14 } },
    tooltip: { trigger: "item", renderMode: "richText" },
    legend: { bottom: 0 },
    series: [{ type: "pie", radius: ["35%", "60%"], center: ["50%", "52%"], label: { show: false }, data: [
      { name: L.served, value: d.served_total },
      { name: L.unserved, value: d.unserved_total }
    ] }]
  });
  echarts.init(document.getElementById("chart-townships")).setOption({
    title: { text: L.by_township, textStyle: { fontSize: 14 } },
    tooltip: { renderMode: "richText" }, grid: { left: 40, right: 10, bottom: 60 },
    xAxis: { type: "category", data: d.townships, axisLabel: { rotate: 30 } },
    yAxis: { type: "value" },
    series: [{ type: "bar", name: L.served, data: d.served }]
  });
  echarts.init(document.getElementById("chart-distance")).setOption({
    title: { text: L.distance, textStyle: { fontSize: 14 } },
    tooltip: { renderMode: "richText" }, grid: { left: 40, right: 10, bottom: 40 },
    xAxis: { type: "category", data: d.distance_labels },
    yAxis: { type: "value" },
    series: [{ type: "bar", data: d.distance_counts }]
  });
});
