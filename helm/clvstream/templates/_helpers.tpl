{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "clvstream.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release-chart, or the release name when it already contains the chart name. */}}
{{- define "clvstream.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "clvstream.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "clvstream.labels" -}}
helm.sh/chart: {{ include "clvstream.chart" . }}
app.kubernetes.io/name: {{ include "clvstream.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: clvstream
{{- end }}

{{/* Selector of the stream processor's pods (the fit job's pods carry another component). */}}
{{- define "clvstream.selectorLabels" -}}
app.kubernetes.io/name: {{ include "clvstream.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: stream-processor
{{- end }}

{{- define "clvstream.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "clvstream.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "clvstream.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The Secret the secret settings come from: the chart's own or existingSecret. */}}
{{- define "clvstream.secretName" -}}
{{- default (include "clvstream.fullname" .) .Values.existingSecret }}
{{- end }}

{{/*
A setting's value as environment text: whole numbers without an exponent (YAML
numbers reach templates as float64, and 1000000 would print as 1e+06), lists
joined by commas, null as "".
*/}}
{{- define "clvstream.settingValue" -}}
{{- $v := . -}}
{{- if kindIs "invalid" $v -}}
{{- else if kindIs "float64" $v -}}
{{- if eq $v (floor $v) }}{{ int64 $v }}{{ else }}{{ $v }}{{ end -}}
{{- else if kindIs "slice" $v -}}
{{- join "," $v -}}
{{- else -}}
{{- $v -}}
{{- end -}}
{{- end }}

{{/*
The non-secret settings as environment text, one `NAME: "value"` line each:
the ConfigMap's data, and the topics hook Job's environment (a pre-install hook
runs before the ConfigMap exists). TOPIC_PARTITIONS defaults to `partitions`.
*/}}
{{- define "clvstream.configData" -}}
{{- range $name, $value := .Values.config }}
{{- $text := include "clvstream.settingValue" $value }}
{{- if and (eq $name "TOPIC_PARTITIONS") (eq $text "") }}
{{- $text = include "clvstream.settingValue" $.Values.partitions }}
{{- end }}
{{ $name }}: {{ $text | quote }}
{{- end }}
{{- end }}

{{/* The HTTP port (config.HTTP_PORT): container port, probes, Service target. */}}
{{- define "clvstream.httpPort" -}}
{{- $port := include "clvstream.settingValue" (index .Values.config "HTTP_PORT") | default "8080" | int -}}
{{- if or (lt $port 1) (gt $port 65535) -}}
{{- fail (printf "config.HTTP_PORT must be a port from 1 to 65535 for the probes and the Service (got %v)" (index .Values.config "HTTP_PORT")) -}}
{{- end -}}
{{- $port -}}
{{- end }}

{{/* Checks values that the schema cannot: secret settings kept out of the ConfigMap. */}}
{{- define "clvstream.validate" -}}
{{- range $name, $_ := .Values.secrets }}
{{- if hasKey $.Values.config $name }}
{{- fail (printf "%s is a secret setting: put it under secrets (or in existingSecret), not under config" $name) }}
{{- end }}
{{- end }}
{{- end }}

{{/* Environment of every clvstream container: the ConfigMap, the secret settings, extras. */}}
{{- define "clvstream.envFrom" -}}
- configMapRef:
    name: {{ include "clvstream.fullname" . }}
{{- with .Values.extraEnvFrom }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "clvstream.env" -}}
{{- $secret := include "clvstream.secretName" . -}}
{{- range $name := keys .Values.secrets | sortAlpha }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $name }}
      optional: true
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Restarts pods when the settings change. */}}
{{- define "clvstream.checksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- if not .Values.existingSecret }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}
{{- end }}

{{/* Volumes every clvstream container needs: a writable /tmp on a read-only root. */}}
{{- define "clvstream.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- with .Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "clvstream.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Whether scrapes must send HTTP_BEARER_TOKEN. */}}
{{- define "clvstream.metricsNeedToken" -}}
{{- if or .Values.serviceMonitor.bearerToken (and (not .Values.existingSecret) .Values.secrets.HTTP_BEARER_TOKEN) -}}
true
{{- end -}}
{{- end }}
