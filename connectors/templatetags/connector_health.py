from django import template

from ..failing import failing_connectors

register = template.Library()


@register.inclusion_tag("admin/connectors/_failing_notice.html", takes_context=True)
def failing_connectors_notice(context):
    """On the admin home: the reader's connectors that nothing has reached for a day."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"connectors": []}
    return {"connectors": failing_connectors(user=user)}
