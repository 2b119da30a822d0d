from functools import partial

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from bypass.models import BypassCode
from bypass.stores import CodeStoreError
from bypass.views import code_screen
from duoportal import refusals
from duoportal.models import ProofLock
from duoportal.secondfactor import second_factor_required
from duoportal.throttles import per_address, too_many, unless_locked
from rescue.forms import RescueCodeForm
from rescue.models import RescueCode


@login_required
def start(request):
    return render(request, "rescue/start.html")


@never_cache
@login_required
def submit(request):
    form, result = RescueCodeForm(request.POST or None), None
    if request.method == "POST" and form.is_valid():
        throttle = partial(per_address, request, "rescue")
        if seconds := unless_locked(request.user, ProofLock.Kind.RESCUE, throttle):
            return too_many(request, seconds)
        try:
            result, issued = BypassCode.objects.issue_with_rescue_code(
                request.user, form.cleaned_data["code"]
            )
        except CodeStoreError as error:
            # The rescue code was given back: the same code works on the next SUBMIT.
            form.add_error("code", refusals.code_store(error))
        else:
            if issued:
                return code_screen(request, *issued, rescue_codes_left=result.uses_left)
            form.add_error("code", refusals.rescue(result))
    locked = refusals.lock_notice(request.user, ProofLock.Kind.RESCUE, result)
    return render(request, "rescue/submit.html", {"form": form, "locked": locked})


@never_cache
@second_factor_required
def generate(request):
    """A new set, shown once: this response is the only place the codes exist."""
    if request.method != "POST":
        return redirect("portal:account")
    codes = RescueCode.objects.generate(request.user)
    return render(request, "rescue/codes.html", {"codes": codes})
