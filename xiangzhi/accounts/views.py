"""Login, logout, password change, and the administrator's user list."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiangzhi.core.pages import apply_errors, form_saved, requires

from . import permissions as perms
from . import services
from .forms import RolesForm, ServicePasswordChangeForm, UserCreateForm, UserManageForm


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        services.login_recorded(user=form.get_user(), via="page")
        return response

    def form_invalid(self, form):
        # django-axes has counted the failure already, and says whether it locked the account
        services.login_failure_recorded(
            username=form.data.get("username", "")[:150],
            via="page",
            locked=getattr(self.request, "axes_locked_out", False),
        )
        return super().form_invalid(form)


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


@requires(perms.MANAGE_USERS)
def user_list(request):
    form = UserCreateForm(request.POST or None, user=request.user)

    def create(*, username, password, display_name, **_roles):
        return services.user_create(
            actor=request.user,
            username=username,
            password=password,
            display_name=display_name,
            roles=form.role_inputs(),
        )

    if form_saved(request, form, create, _("Account created; it must change its password at first login.")):
        return redirect("accounts:users")
    users = list(
        services.managed_users(request.user)
        .prefetch_related("roles__village", "roles__groups__village")
        .order_by("username")
    )
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


@requires(perms.MANAGE_USERS)
def user_manage(request, pk):
    """One account: its roles and their scopes; unlock it, give it a temporary password, deactivate or activate."""
    account = (
        services.managed_users(request.user)
        .prefetch_related("roles__village", "roles__groups__village")
        .get(pk=pk)
    )
    posted = request.POST.get("action") if request.method == "POST" else None
    assignments = list(account.roles.all())
    roles_form = RolesForm(
        request.POST if posted == "roles" else None,
        user=request.user,
        initial={
            "roles": [a.role for a in assignments],
            "village": next((a.village_id for a in assignments if a.village_id), None),
            "groups": [g.pk for a in assignments for g in a.groups.all()],
        },
    )
    if posted == "roles":
        if form_saved(
            request,
            roles_form,
            lambda **_data: services.user_set_roles(
                actor=request.user, user=account, roles=roles_form.role_inputs()
            ),
            _("Roles saved."),
        ):
            return redirect("accounts:user", pk=account.pk)
        form = UserManageForm()
    else:
        form = UserManageForm(request.POST or None)
    if posted and posted != "roles" and form.is_valid():
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
            "assignments": assignments,
            "locked": account.username in services.locked_usernames([account]),
            "form": form,
            "roles_form": roles_form,
        },
    )
