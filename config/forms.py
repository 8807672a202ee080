from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Forms rendered with the project's templates: one field layout (templates/forms/field.html)."""

    field_template_name = "forms/field.html"
