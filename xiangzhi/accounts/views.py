"""Login, logout, password change, and the administrator's user list."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from xiangzhi.core.views import apply_errors

from . import roles
from .forms import ServicePasswordChangeForm, UserCreateForm
from .models import User
from .services import user_create


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


def locked_out(request, credentials=None, *args, **kwargs):
    return render(request, "accounts/locked_out.html", status=429)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = ServicePasswordChangeForm
    success_url = reverse_lazy("core:home")

    def form_valid(self, form):
        form.save()
        update_session_auth_hash(self.request, form.user)
        messages.success(self.request, _("Your password has been changed."))
        return redirect(self.success_url)


def user_list(request):
    if not roles.can(request.user, roles.MANAGE_USERS):
        raise Http404
    form = UserCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = user_create(
                actor=request.user,
                username=data["username"],
                role=data["role"],
                password=data["password"],
                display_name=data["display_name"],
                village=data["village"],
                groups=data["groups"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("Account %(name)s created; it must change its password at first login.")
                % {"name": created.username},
            )
            return redirect("accounts:users")
    users = (
        User.objects.filter(town_id=request.user.town_id)
        .select_related("village")
        .order_by("role", "username")
    )
    return render(request, "accounts/users.html", {"form": form, "users": users})
