"""The statistics on paper and in charts: matplotlib charts shared by the app's dashboard and
the monthly report (月报, PDF), the statistics tables as Excel, and the hot-spot map page."""
