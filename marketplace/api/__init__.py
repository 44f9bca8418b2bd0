"""The REST API, one module per domain, each endpoint beside its serializers.

Views are thin: they parse, call a service or a selector, and serialize. Input serializers validate
shape only; the rules live in the services. Output serializers never expose a full-resolution file
to someone not entitled to it."""
