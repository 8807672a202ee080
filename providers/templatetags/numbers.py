"""Template filters for money and numbers (a builtin library: no `{% load %}` needed)."""

from django import template

from providers import formatting

register = template.Library()

register.filter("amount", formatting.amount)
register.filter("money", formatting.money)
register.filter("whole", formatting.whole)
register.filter("phone", formatting.phone)
