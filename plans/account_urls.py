from django.urls import path

from plans import account

app_name = "account"

urlpatterns = [
    path("account/api-keys/", account.api_keys, name="api-keys"),
    path("account/api-keys/<int:pk>/revoke/", account.revoke, name="revoke-api-key"),
]
