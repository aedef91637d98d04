"""Forms of the admin that are more than a model's defaults."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plans import catalogue, workflow
from plans.admin.tags import CuratedTagField, tag_widgets
from plans.history import last_change
from plans.models import STAGES, LearningQuestion, Plan, PlanEvent
from plans.validators import LATITUDE, LONGITUDE

# The Accelerator Labs began in 2019: no plan is older.
FIRST_YEAR = 2019


class PlanAdminForm(forms.ModelForm):
    handover_options = forms.MultipleChoiceField(
        label=gettext_lazy("handover process"), required=False, widget=forms.CheckboxSelectMultiple
    )
    # The `updated_at` the form was opened with: a save is refused when somebody saved in between.
    # The admin prints a hidden field's label too: a translated one.
    opened_version = forms.CharField(
        widget=forms.HiddenInput,
        required=False,
        label=gettext_lazy("Version of the plan when this form was opened"),
    )
    # The pending revision the form edits (plans/admin/review.py sets it), None for the plan itself.
    edited_revision = None
    # After a refused save: what the other person changed (plans/admin/review.other_changes).
    other_changes = None

    class Meta:
        model = Plan
        fields = "__all__"
        # Tag fields suggest existing tags as you type; methods are a closed list (plans/admin/tags.py).
        widgets = {"sdgs": forms.CheckboxSelectMultiple, **tag_widgets()}
        field_classes = dict.fromkeys(tag_widgets(), CuratedTagField)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._ask_as_the_form_asks()
        self._sensible_inputs()
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

    def form_version(self) -> str:
        """The template this form asks the questions of: the posted choice, else the initial or saved one."""
        posted = self.data.get(self.add_prefix("form_version")) if self.is_bound else None
        return posted or self.initial.get("form_version") or self.instance.form_version

    def _ask_as_the_form_asks(self):
        """Each answer field labelled with its prompt's label and helped with what the prompt asks."""
        for prompt in catalogue.template(self.form_version()).prompts():
            names = catalogue.plan_fields(prompt)
            if len(names) == 1 and names[0] in self.fields:
                self.fields[names[0]].label = prompt.label
                self.fields[names[0]].help_text = catalogue.guidance(prompt)
        for prompt in catalogue.TIME_PROMPTS:
            if prompt.target.name in self.fields:
                self.fields[prompt.target.name].label = format_lazy("{} (%)", gettext_lazy(prompt.label))

    def _sensible_inputs(self):
        fields = self.fields
        if "form_version" in fields and not self.instance.pk:
            fields["form_version"].widget = forms.HiddenInput()  # chosen on the page before
        if "language" in fields:
            # The three languages of the network; an imported plan's other code stays selectable.
            current = self.instance.language
            choices = list(settings.LANGUAGES)
            if current and current not in dict(choices):
                choices.append((current, current))
            fields["language"] = forms.ChoiceField(label=fields["language"].label, choices=choices)
        if "year" in fields:
            first, last = FIRST_YEAR, timezone.now().year + 1
            fields["year"].validators += [MinValueValidator(first), MaxValueValidator(last)]
            fields["year"].widget.attrs.update(min=first, max=last)
        for name, (low, high) in (("latitude", LATITUDE), ("longitude", LONGITUDE)):
            if name in fields:
                fields[name].widget.attrs.update(min=low, max=high, step="any")
        if "slug" in fields:  # superusers: left empty, it is made from the title
            fields["slug"].required = False
            fields["slug"].help_text = _("Left empty, it is made from the title.")
        for name in catalogue.TIME_FIELDS:
            if name in fields:
                fields[name].widget.attrs.update(min=0, max=100, inputmode="numeric")

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            current = Plan.objects.filter(pk=self.instance.pk).values_list("updated_at", flat=True).first()
            opened = parse_datetime(cleaned.get("opened_version") or "")
            if current is not None and opened != current:
                from plans.admin.review import other_changes  # the review module imports this one

                revision = self.edited_revision
                who, when = (
                    (revision.updated_by, revision.updated_at) if revision else last_change(self.instance)
                )
                self.other_changes = other_changes(self.instance, revision, cleaned.get("opened_version"))
                name = (who.get_full_name() or who.get_username()) if who else _("someone")
                # The next save is taken as a deliberate overwrite: the message said what happened.
                self.data = self.data.copy()
                self.data[self.add_prefix("opened_version")] = current.isoformat()
                raise ValidationError(
                    _(
                        "%(who)s saved this plan on %(when)s, after you opened it. Your changes are still "
                        "in the form; what they changed is shown above it. Save again to overwrite it."
                    )
                    % {"who": name, "when": date_format(timezone.localtime(when), "DATETIME_FORMAT")},
                    code="lost_update",
                )
        return cleaned


class ChildRowForm(forms.ModelForm):
    """An inline row of a plan, carrying its stable key (a revision's rows are matched by it)."""

    row_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["row_key"].initial = str(self.instance.key)


class LearningQuestionForm(ChildRowForm):
    stages = forms.MultipleChoiceField(
        label=gettext_lazy("learning-cycle stages"),
        choices=STAGES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = LearningQuestion
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Asked as the form asks it (each field is a prompt of the learning-question section).
        for prompt in catalogue.LEARNING_QUESTION_SECTION.prompts:
            if prompt.target.name in self.fields:
                self.fields[prompt.target.name].label = prompt.label
                self.fields[prompt.target.name].help_text = catalogue.guidance(prompt)


class RejectForm(forms.Form):
    """The reviewer's note on rejected blog links (required: the focal points must learn why)."""

    note = forms.CharField(
        label=workflow.LINK_TRANSITIONS[PlanEvent.Action.REJECT_LINK].comment_label,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("The lab's focal points receive this note."),
    )
