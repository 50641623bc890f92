"""Work orders (工单): the state machine, deadlines, creating and moving orders, queries.
"""
