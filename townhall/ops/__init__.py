"""What an operator watches: health and readiness, Prometheus metrics, request ids in the logs."""
