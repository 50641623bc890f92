"""What QGIS and QField see of a project: layer styles, symbols, forms and the embedded project.
"""
