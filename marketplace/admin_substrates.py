"""The admin page where a print shop's staff install their own measured ICC profile per substrate.

The upload is validated by the same service the shipped defaults pass through: the file must be an
ICC profile LittleCMS can build a proof transform from, with CMYK or RGB output; anything else is a
form error on the file, and the installed profile stays as it was."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from marketplace.models import SubstrateProfile
from marketplace.services.colour import PRINTED_SUBSTRATES, substrate_profile_set, usable_profile_info

# A measured profile with a fine LUT is a few megabytes; anything far beyond is not one.
PROFILE_MAX_BYTES = 16 * 1024 * 1024


class SubstrateProfileForm(forms.ModelForm):
    profile_file = forms.FileField(
        label="ICC profile (.icc/.icm)",
        required=False,
        help_text="The printer's measured output profile for this substrate (CMYK or RGB output).",
    )

    class Meta:
        model = SubstrateProfile
        fields = ["substrate"]

    def clean_substrate(self) -> str:
        substrate = self.cleaned_data["substrate"]
        if substrate not in PRINTED_SUBSTRATES:
            raise ValidationError(
                f"Only printed substrates carry a profile: {', '.join(PRINTED_SUBSTRATES)}."
            )
        return substrate

    def clean_profile_file(self) -> bytes | None:
        upload = self.cleaned_data.get("profile_file")
        if upload is None:
            if self.instance.pk is None:
                raise ValidationError("Choose the ICC profile file to install.")
            return None
        if upload.size > PROFILE_MAX_BYTES:
            raise ValidationError(f"An ICC profile is at most {PROFILE_MAX_BYTES // (1024 * 1024)} MB.")
        data = upload.read()
        try:
            usable_profile_info(data)
        except ValidationError as error:
            raise ValidationError(error.message_dict["profile"]) from None
        return data


@admin.register(SubstrateProfile)
class SubstrateProfileAdmin(admin.ModelAdmin):
    form = SubstrateProfileForm
    list_display = ["substrate", "name", "sha256", "updated_at"]
    readonly_fields = ["name", "sha256", "updated_at"]

    def save_model(self, request: HttpRequest, obj: SubstrateProfile, form: Any, change: bool) -> None:
        data = form.cleaned_data.get("profile_file")
        if data is None:
            return  # nothing new to install
        installed = substrate_profile_set(substrate=obj.substrate, data=data)
        obj.pk, obj.name, obj.sha256, obj.updated_at = (
            installed.pk,
            installed.name,
            installed.sha256,
            installed.updated_at,
        )
