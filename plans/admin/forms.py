"""Forms of the admin that are more than a model's defaults."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plans import catalogue, workflow
from plans.history import last_change
from plans.models import STAGES, LearningQuestion, Plan, PlanEvent


class PlanAdminForm(forms.ModelForm):
    handover_options = forms.MultipleChoiceField(
        label=gettext_lazy("handover process"), required=False, widget=forms.CheckboxSelectMultiple
    )
    # The `updated_at` the form was opened with: a save is refused when somebody saved in between.
    opened_version = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Plan
        fields = "__all__"
        widgets = {"sdgs": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "handover_options" in self.fields:
            # Imported plans may hold answers outside the fixed list; they stay selectable, never dropped.
            current = list(self.instance.handover_options or [])
            known = dict(catalogue.HANDOVER_OPTIONS)
            values = [*known, *(o for o in current if o not in known)]
            self.fields["handover_options"].choices = [
                (o, catalogue.option_label(catalogue.HANDOVER_OPTIONS, o)) for o in values
            ]
            self.initial.setdefault("handover_options", current)
        if self.instance.pk and "opened_version" in self.fields:
            self.fields["opened_version"].initial = self.instance.updated_at.isoformat()

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            current = Plan.objects.filter(pk=self.instance.pk).values_list("updated_at", flat=True).first()
            opened = parse_datetime(cleaned.get("opened_version") or "")
            if current is not None and opened != current:
                who, when = last_change(self.instance)
                name = (who.get_full_name() or who.get_username()) if who else _("someone")
                # The next save is taken as a deliberate overwrite: the message said what happened.
                self.data = self.data.copy()
                self.data[self.add_prefix("opened_version")] = current.isoformat()
                raise ValidationError(
                    _(
                        "%(who)s saved this plan on %(when)s, after you opened it. Your changes are still "
                        "in the form; open the plan in another tab to compare, then save again to overwrite."
                    )
                    % {"who": name, "when": date_format(timezone.localtime(when), "DATETIME_FORMAT")},
                    code="lost_update",
                )
        return cleaned


class LearningQuestionForm(forms.ModelForm):
    stages = forms.MultipleChoiceField(
        label=gettext_lazy("learning-cycle stages"),
        choices=STAGES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = LearningQuestion
        fields = "__all__"


class RejectForm(forms.Form):
    """The reviewer's note on rejected blog links (required: the focal points must learn why)."""

    note = forms.CharField(
        label=workflow.LINK_TRANSITIONS[PlanEvent.Action.REJECT_LINK].comment_label,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("The lab's focal points receive this note."),
    )
