"""Cloud Storage: buckets and objects, stored durably, guarded by IAM."""
