"""Per-route CORS policies: a public read-only API, credentialed account routes for one
front end, and admin routes with no CORS at all.

    python examples/per_route_policies.py     # serves on http://127.0.0.1:8000
"""

import hug

from hug_cors import CORSMiddleware, CORSPolicy, route_policy

FRONT_END = "https://app.example.com"

api = hug.API(__name__)
api.http.add_middleware(
    CORSMiddleware(
        api,
        # The default, for every route without a policy of its own: the front end only,
        # with its cookies.
        allow_origins=[FRONT_END],
        allow_headers=["Content-Type", "X-CSRF-Token"],
        route_policies={
            "/public/*": CORSPolicy(allow_origins=["*"], allow_methods=["GET"]),
            "/admin/*": None,  # no CORS: only pages on the API's own origin may call it
        },
    )
)


@hug.get("/public/prices", api=api)
def prices():
    return {"tea": 3, "coffee": 4}


@hug.get("/account", api=api)
def account():
    return {"name": "Ada"}


@hug.get("/admin/users", api=api)
def users():
    return ["ada", "grace"]


@hug.get("/status", api=api)
@route_policy(allow_origins=["*"], max_age=3600)  # one route's own policy beats the others
def status():
    return {"ok": True}


if __name__ == "__main__":
    api.http.serve(host="127.0.0.1", port=8000)
