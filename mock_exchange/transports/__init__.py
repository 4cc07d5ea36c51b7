"""Transports: parse a request, call the engine, serialise the result or the error."""
