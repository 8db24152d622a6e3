from django.http import HttpResponse
from django.views import View
from rest_framework.response import Response
from rest_framework.views import APIView


class Ping(APIView):
    """Throttled by DRF's UserRateThrottle (settings): history under throttle_user_<pk> in the cache."""

    def get(self, request):
        return Response({"ok": True})


class Health(View):
    def get(self, request):
        return HttpResponse("ok")
