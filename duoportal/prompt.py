"""The "Enter a Passcode" prompt, shared by the portal's own second factor and the
Universal Prompt that applications send people to (duoapi/universal.py).

Both show includes/passcode_prompt.html and decide through this one helper, so
a passcode means the same wherever it is typed: a bypass code's use is
counted, an authenticator app's code is accepted once, and every refusal
counts toward the one passcode lock.
"""

from dataclasses import dataclass

from bypass.models import BypassCode
from bypass.stores import CodeStoreError
from duoportal import refusals
from duoportal.forms import PasscodeForm
from duoportal.models import ProofLock
from duoportal.results import CheckResult, Reason


@dataclass
class PasscodePrompt:
    """What the prompt decided: `method` ("bypass" or "totp") once a passcode is accepted.

    `result` is the check of a posted passcode (None before one is posted);
    `locked` is what the page says instead of the form while the passcode
    lock holds, including right after the failure that locked it.
    """

    form: PasscodeForm
    result: CheckResult | None = None
    method: str | None = None
    locked: str | None = None
    # Seconds to wait, when a throttle refused the check (nothing was checked).
    throttled: int = 0

    @property
    def accepted(self):
        return bool(self.result)

    @property
    def refused_by_lock(self):
        """The posted passcode met the lock: the failure that locked it, or a try while locked."""
        return self.result is not None and self.result.locked_until is not None

    @property
    def context(self):
        return {"form": self.form, "locked": self.locked}


def passcode_prompt(request, person, throttle=None):
    """Check a posted passcode as `person`'s, or get the prompt ready to show.

    `throttle()` is asked right before the check (a well-formed passcode):
    seconds to wait, or 0.
    """
    prompt = PasscodePrompt(PasscodeForm(request.POST or None))
    if request.method == "POST" and prompt.form.is_valid():
        if throttle and (seconds := throttle()):
            prompt.throttled = seconds
            return prompt
        typed = prompt.form.cleaned_data["passcode"]
        try:
            prompt.result, method = BypassCode.objects.check_passcode(person, typed)
        except CodeStoreError as error:
            # Duo did not answer: nothing was checked or counted.
            prompt.form.add_error("passcode", refusals.code_store(error))
        else:
            if prompt.result:
                prompt.method = method
                return prompt
            prompt.form.add_error("passcode", refusals.passcode(prompt.result))
    prompt.locked = refusals.lock_notice(person, ProofLock.Kind.PASSCODE, prompt.result)
    return prompt


def busy_prompt(request):
    """The prompt with the posted passcode turned away unchecked: others are being checked.

    Nothing was checked or counted, so the same passcode may simply be sent again.
    """
    prompt = PasscodePrompt(PasscodeForm(request.POST))
    prompt.form.is_valid()
    prompt.form.add_error("passcode", refusals.passcode(CheckResult(Reason.BUSY)))
    return prompt
