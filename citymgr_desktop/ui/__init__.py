"""The Qt desktop application: widgets, dialogs, Qt models and worker threads.

Only this package (and ``render``/``export`` for QtGui) imports Qt.
"""
