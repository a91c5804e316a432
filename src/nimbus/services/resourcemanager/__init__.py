"""Cloud Resource Manager: the organization and its projects."""
