"""The monitoring API: the signed endpoint devices send heartbeats and readings to."""

from __future__ import annotations

import json

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from xiangzhi.core.scoping import require

from .. import permissions as perms
from ..ingest import Refused, authenticate_signed, parse_message, store_batch
from ..models import DeviceKey


class _ReadingSerializer(serializers.Serializer):
    quantity = serializers.CharField()
    value = serializers.FloatField()
    at = serializers.DateTimeField(required=False)


class _MessageSerializer(serializers.Serializer):
    heartbeat = serializers.BooleanField(required=False)
    at = serializers.DateTimeField(required=False)
    readings = _ReadingSerializer(many=True, required=False)


class _StoredSerializer(serializers.Serializer):
    messages = serializers.IntegerField()
    readings = serializers.IntegerField()


class IngestView(APIView):
    """Devices are not users: no session, no token; the request's signature is its authentication, checked over
    the raw body before anything is parsed."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary=gettext_lazy("Send heartbeats and readings (devices)"),
        description=gettext_lazy(
            "For cameras, gauges and gateways, not people. The body is one message or a list of messages: "
            '{"heartbeat": true, "at": "…", "readings": [{"quantity": "water_level", "value": 152.31, "at": "…"}]}. '
            "Sign it with the device's key: X-Device-Id, X-Timestamp (seconds since 1970, within 5 minutes of "
            "the server's clock) and X-Signature = hex HMAC-SHA256 of timestamp + '.' + body. A request is "
            "accepted once; a reading already stored for the same time is dropped."
        ),
        request=_MessageSerializer,
        parameters=[
            OpenApiParameter("X-Device-Id", str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("X-Timestamp", str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("X-Signature", str, OpenApiParameter.HEADER, required=True),
        ],
        responses={
            202: _StoredSerializer,
            400: OpenApiResponse(description=gettext_lazy("The body is not a valid message.")),
            401: OpenApiResponse(description=gettext_lazy("Not signed, signed wrongly, or too old.")),
            409: OpenApiResponse(description=gettext_lazy("The same request was already received.")),
        },
    )
    def post(self, request):
        body = request.body
        try:
            device, point = authenticate_signed(
                key_id=request.headers.get("X-Device-Id", ""),
                timestamp=request.headers.get("X-Timestamp", ""),
                signature=request.headers.get("X-Signature", ""),
                body=body,
            )
            # the device writes its own point only: the same chokepoint as every other principal
            require(device, perms.INGEST, point)
            try:
                data = json.loads(body)
            except (ValueError, RecursionError):
                raise Refused(_("The body is not valid JSON.")) from None
            now = timezone.now()
            messages = [parse_message(m, now=now) for m in (data if isinstance(data, list) else [data])]
            if not messages:
                raise Refused(_("The list of messages is empty."))
        except Refused as refused:
            return Response({"detail": refused.message}, status=refused.status)
        stored = store_batch((point, m) for m in messages)
        DeviceKey.objects.unrestricted("the key that just signed this request").filter(
            key_id=device.key_id
        ).update(last_used_at=now)
        return Response({"messages": len(messages), "readings": stored}, status=status.HTTP_202_ACCEPTED)
