"""Wire shapes: the JSON that crosses the API, shared by server, CLI and console.

Field names are Google's (camelCase on the wire, snake_case in Python). Request
shapes forbid unknown fields, as Google answers "Unknown name" for them; response
shapes ignore extras so that a newer server never breaks an older client.
"""
