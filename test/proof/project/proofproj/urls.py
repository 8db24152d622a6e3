from django.urls import path

from proofapp.views import Ping

urlpatterns = [path("api/ping/", Ping.as_view())]
