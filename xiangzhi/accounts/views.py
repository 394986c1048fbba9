"""Login, logout, password change, and the administrator's user list."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiangzhi.core.views import apply_errors

from . import roles, services
from .forms import ServicePasswordChangeForm, UserCreateForm, UserManageForm


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
            created = services.user_create(
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
    users = list(services.managed_users(request.user).select_related("village").order_by("role", "username"))
    return render(
        request,
        "accounts/users.html",
        {"form": form, "users": users, "locked": services.locked_usernames(users)},
    )


_DONE = {
    "unlock": gettext_lazy("The account is unlocked."),
    "reset_password": gettext_lazy("Temporary password set; the user must change it at the next login."),
    "deactivate": gettext_lazy("The account is deactivated."),
    "activate": gettext_lazy("The account is active again."),
}


def user_manage(request, pk):
    """One account: unlock it, give it a temporary password, deactivate or activate it."""
    try:
        account = services.managed_users(request.user).select_related("village").get(pk=pk)
    except ObjectDoesNotExist:
        raise Http404 from None
    form = UserManageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        action = form.cleaned_data["action"]
        try:
            if action == "unlock":
                services.user_unlock(actor=request.user, user=account)
            elif action == "reset_password":
                services.user_reset_password(
                    actor=request.user, user=account, password=form.cleaned_data["password"]
                )
            else:
                services.user_set_active(actor=request.user, user=account, active=action == "activate")
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _DONE[action])
            return redirect("accounts:user", pk=account.pk)
    return render(
        request,
        "accounts/user.html",
        {
            "account": account,
            "locked": account.username in services.locked_usernames([account]),
            "form": form,
        },
    )
