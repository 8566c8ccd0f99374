"""hug-cors in a plain Falcon 2.0 app, route-aware through Falcon's own router.

python examples/plain_falcon.py      # serves on http://127.0.0.1:8000 (needs waitress)
"""

import falcon
from falcon.routing import CompiledRouter

from hug_cors import CORSMiddleware


class Items:
    def on_get(self, req, resp, item_id):
        resp.media = {"id": item_id}

    def on_put(self, req, resp, item_id):
        resp.media = {"id": item_id, "saved": True}


# Give the middleware the router Falcon will use, so that a preflight allows the methods
# the requested route serves. (CORSMiddleware(None, ...) works too, with allow_methods.)
router = CompiledRouter()
app = falcon.API(
    middleware=[CORSMiddleware(router, allow_origins=["https://app.example.com"])],
    router=router,
)
app.add_route("/items/{item_id}", Items())


if __name__ == "__main__":
    from waitress import serve

    serve(app, host="127.0.0.1", port=8000)
