from django.urls import path

from . import absence_api

urlpatterns = [
    path("me", absence_api.MyAbsenceApi.as_view(), name="absence-me"),
    path("<str:email>", absence_api.MemberAbsenceByEmailApi.as_view(), name="absence-member"),
]
