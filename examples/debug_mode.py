"""Debug mode: a refused CORS request says why, in a header and (for a preflight) in a
JSON body, and the reason is logged at WARNING. For development only: it tells anyone
what your policy allows. Never leave it on in production.

    python examples/debug_mode.py
"""

import logging

import hug

from hug_cors import CORSMiddleware

logging.basicConfig(level=logging.WARNING)

api = hug.API(__name__)
api.http.add_middleware(
    CORSMiddleware(
        api, allow_origins=["http://localhost:3000"], allow_headers=["X-Token"], debug=True
    )
)


@hug.put("/items/{item_id}", api=api)
def put_item(item_id: int):
    return {"id": item_id}


if __name__ == "__main__":
    refused = hug.test.call(
        "OPTIONS",
        api,
        "/items/1",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "x-token, x-trace-id",
        },
    )
    print(refused.status)
    print("Hug-CORS-Refused:", refused.headers_dict["hug-cors-refused"])
    print(refused.data)
