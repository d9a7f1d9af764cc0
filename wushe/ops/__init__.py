"""Operations: `wushe backup` / `wushe restore` (wushe.ops.backup) and `/metrics`
(wushe.ops.metrics). Deployment guide: docs/deployment.md."""
