"""One router per query; each function's app serves one, the whole-API app serves all.

Endpoints are `async def` that run their (sub-millisecond, indexed) query inline: a Lambda
container serves one request at a time, and Mangum starts a new event loop per invocation, so a
sync endpoint would pay for a fresh worker thread on every call.
"""
