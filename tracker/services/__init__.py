"""Services: the operations the CLI and the daemon call. They use the store;
decisions about dates and stages come from the pure core."""
