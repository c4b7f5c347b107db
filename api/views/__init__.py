"""The partner REST API (/api/v1/), one module per resource. See docs/api.md.

Reads are public (published data only) and rate-limited per IP; partner tokens get a
higher limit and, with the matching scope, write through the same actions as the staff
pages (validated, recorded in the history with source "api:<token prefix>", calendar
rebuilt). Views parse, call one action or selector and render; they never save anything
themselves. The viewsets derive from `base.ApiViewSet`; what the OpenAPI schema says of
each operation is declared in api/schema.py.
"""
