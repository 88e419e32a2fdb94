{{- define "veil.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "veil.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "veil.selectorLabels" -}}
app.kubernetes.io/name: {{ include "veil.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "veil.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "veil.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "veil.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "veil.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "veil.adminSecretName" -}}
{{- default (printf "%s-admin" (include "veil.fullname" .)) .Values.admin.token.existingSecret -}}
{{- end -}}

{{- define "veil.vaultSecretName" -}}
{{- default (printf "%s-vault" (include "veil.fullname" .)) .Values.vault.keys.existingSecret -}}
{{- end -}}

{{- define "veil.caSecretName" -}}
{{- default (printf "%s-ca" (include "veil.fullname" .)) .Values.forward.ca.existingSecret -}}
{{- end -}}

{{- define "veil.rulesConfigMapName" -}}
{{- default (printf "%s-rules" (include "veil.fullname" .)) .Values.policy.existingConfigMap -}}
{{- end -}}

{{- define "veil.vaultKeysNeeded" -}}
{{- if or (eq .Values.vault.backend "redis") .Values.vault.keys.value .Values.vault.keys.existingSecret -}}true{{- end -}}
{{- end -}}

{{/* The generated veil.yaml: chart-owned settings, with .Values.config merged over them. */}}
{{- define "veil.config" -}}
{{- $c := dict "listen" (printf "0.0.0.0:%v" .Values.service.port) -}}
{{- $admin := dict "listen" (printf "0.0.0.0:%v" .Values.admin.port) "token_file" "/etc/veil/admin/token" -}}
{{- if .Values.admin.metricsOpen }}{{- $_ := set $admin "metrics_open" true -}}{{- end -}}
{{- $_ := set $c "admin" $admin -}}
{{- $_ := set $c "audit" (dict "spool_dir" "/tmp/veil-spool") -}}
{{- if .Values.policy.enabled -}}
{{- $_ := set $c "policy" (dict "rules" "/etc/veil/rules" "watch" true) -}}
{{- end -}}
{{- if .Values.redis.enabled -}}
{{- $r := dict "addrs" .Values.redis.addrs -}}
{{- if eq .Values.redis.mode "sentinel" -}}{{- $_ := set $r "master_name" (required "redis.masterName is required with redis.mode=sentinel" .Values.redis.masterName) -}}{{- end -}}
{{- if not (has .Values.redis.mode (list "standalone" "sentinel" "cluster")) -}}{{- fail "redis.mode must be standalone, sentinel or cluster" -}}{{- end -}}
{{- if and (eq .Values.redis.mode "standalone") (ne (len .Values.redis.addrs) 1) -}}{{- fail "redis.mode=standalone takes exactly one address in redis.addrs" -}}{{- end -}}
{{- if .Values.redis.username -}}{{- $_ := set $r "username" .Values.redis.username -}}{{- end -}}
{{- if and .Values.redis.db (ne .Values.redis.mode "cluster") -}}{{- $_ := set $r "db" .Values.redis.db -}}{{- end -}}
{{- if .Values.redis.tls -}}{{- $_ := set $r "tls" true -}}{{- end -}}
{{- if .Values.redis.password.existingSecret -}}{{- $_ := set $r "password_env" "VEIL_REDIS_PASSWORD" -}}{{- end -}}
{{- $_ := set $c "redis" $r -}}
{{- end -}}
{{- $v := dict "backend" .Values.vault.backend -}}
{{- if include "veil.vaultKeysNeeded" . -}}{{- $_ := set $v "keys_file" "/etc/veil/vault/keys" -}}{{- end -}}
{{- $_ := set $c "vault" $v -}}
{{- if .Values.forward.enabled -}}
{{- $_ := set $c "forward" (dict "listen" (printf "0.0.0.0:%v" .Values.forward.port) "ca_cert" "/etc/veil/ca/ca.crt" "ca_key" "/etc/veil/ca/ca.key") -}}
{{- end -}}
{{- $merged := mustMergeOverwrite $c (deepCopy .Values.config) -}}
{{- toYaml $merged -}}
{{- end -}}

{{/* "https" when config: serves that listener over TLS (tls.cert_file, admin.tls.cert_file, forward.tls.cert_file), else "http". Call with (list . "admin"), (list . "forward") or (list . "") for the reverse listener. */}}
{{- define "veil.scheme" -}}
{{- $root := index . 0 -}}{{- $listener := index . 1 -}}
{{- $tls := dict -}}
{{- if $listener -}}
{{- $tls = dig $listener "tls" (dict) $root.Values.config -}}
{{- else -}}
{{- $tls = dig "tls" (dict) $root.Values.config -}}
{{- end -}}
{{- if and (kindIs "map" $tls) $tls.cert_file -}}https{{- else -}}http{{- end -}}
{{- end -}}

{{/* The admin listener's probe scheme; the kubelet presents no client certificate, so admin mTLS cannot be probed. */}}
{{- define "veil.probeScheme" -}}
{{- $tls := dig "admin" "tls" (dict) .Values.config -}}
{{- if and (kindIs "map" $tls) $tls.client_ca_file -}}
{{- fail "config.admin.tls.client_ca_file: the kubelet's /healthz and /readyz probes present no client certificate; protect the admin API with its bearer token (admin.token) and TLS instead, or terminate mTLS in a mesh sidecar" -}}
{{- end -}}
{{- upper (include "veil.scheme" (list . "admin")) -}}
{{- end -}}
