"""What the three provider clients share: errors, the HTTP transport, value parsing.

Pure Python (no Django import), so that each client stays a plain module.
"""
