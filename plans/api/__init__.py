"""The read-only open-data API (Django REST Framework): published plans, their tags, an OpenAPI schema."""
