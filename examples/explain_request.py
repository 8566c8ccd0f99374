"""Why is my request blocked? Ask hug_cors.explain, no browser needed.

    python examples/explain_request.py

The API below serves a front end on https://app.example.com and a developer's
http://localhost:3000. The front end sends JSON with a bearer token; one of the calls
adds an X-Request-Id header that the configuration forgot. explain() shows what the
browser does with each call, and the fix for the blocked one.
"""

import hug

from hug_cors import CORSMiddleware, explain

api = hug.API(__name__)
cors = CORSMiddleware(
    api,
    allow_origins=["https://app.example.com", "http://localhost:*"],
    allow_headers=["Authorization"],
    expose_headers=["X-Total-Count"],
    max_age=600,
)
api.http.add_middleware(cors)


@hug.put("/items/{item_id}", api=api)
def update_item(item_id: hug.types.number, body):
    return {"id": item_id, "updated": body}


JSON_WITH_TOKEN = ["Content-Type: application/json", "Authorization: Bearer abc123"]


def main() -> None:
    # The front end updates an item: a preflighted, credentialed PUT. Allowed.
    print(
        explain(
            cors,
            "https://app.example.com",
            "PUT",
            JSON_WITH_TOKEN,
            credentials=True,
            route_methods=["PUT"],  # what /items/{item_id} serves,
        )
    )
    print()
    # The developer's build adds a tracing header the configuration does not allow.
    print(
        explain(
            cors,
            "http://localhost:3000",
            "PUT",
            [*JSON_WITH_TOKEN, "X-Request-Id: 7f3c"],
            credentials=True,
            route_methods=["PUT"],  # what /items/{item_id} serves,
        )
    )


if __name__ == "__main__":
    main()
