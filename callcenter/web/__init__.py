"""The aiohttp web app: the server that mounts the channels, `/metrics`, and customer identity tokens."""
