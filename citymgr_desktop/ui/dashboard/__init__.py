"""The dashboard: the figures the bureau steers by (charts and the evaluation table, clickable
to select what is behind them), hot-spot map themes and the monthly report."""
