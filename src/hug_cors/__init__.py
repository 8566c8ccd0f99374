"""hug-cors: CORS middleware for hug APIs, correct to the Fetch standard and safe by default.

>>> import hug
>>> from hug_cors import CORSMiddleware
>>> api = hug.API("doctest_example")
>>> api.http.add_middleware(CORSMiddleware(api, allow_origins=["https://app.example.com"]))
"""

from ._config import CORSConfigurationError, CORSConfigurationTypeError, CORSConfigurationWarning
from ._explain import Explanation, browser_accepts, explain
from ._middleware import CORSMiddleware
from ._policy import Answer, CORSPolicy
from ._route_policies import route_policy

__all__ = [
    "Answer",
    "CORSConfigurationError",
    "CORSConfigurationTypeError",
    "CORSConfigurationWarning",
    "CORSMiddleware",
    "CORSPolicy",
    "Explanation",
    "browser_accepts",
    "explain",
    "route_policy",
]
__version__ = "0.1.0"
