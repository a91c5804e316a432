"""The agent that runs inside every instance, and the files that put it into an image.

``agent.py`` is copied into images as it is and runs on the guest's own python3, so it
imports only the standard library (never ``nimbus``); ``install.py`` lists the files.
"""
