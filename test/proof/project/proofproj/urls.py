from django.urls import path

from proofapp.views import Health, Ping

urlpatterns = [path("api/ping/", Ping.as_view()), path("health/", Health.as_view())]
