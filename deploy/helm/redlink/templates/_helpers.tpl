{{/*
Names. fullname is also the StatefulSet's name, so pods are <fullname>-0 .. <fullname>-N-1 and
the per-pod links files are keyed by those names.
*/}}
{{- define "redlink.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Truncated to 52 characters, not 63: the StatefulSet controller adds a "-<ordinal>" suffix and a
controller-revision-hash label (name + 11 characters) that must both stay within 63.
*/}}
{{- define "redlink.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "redlink.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "redlink.selectorLabels" -}}
app.kubernetes.io/name: {{ include "redlink.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "redlink.labels" -}}
helm.sh/chart: {{ include "redlink.chart" . }}
{{ include "redlink.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "redlink.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "redlink.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "redlink.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The Secret that holds the API token: the user's, or the one this chart generates. */}}
{{- define "redlink.authSecretName" -}}
{{- default (printf "%s-auth" (include "redlink.fullname" .)) .Values.auth.existingSecret }}
{{- end }}

{{- define "redlink.linksConfigMapName" -}}
{{- printf "%s-links" (include "redlink.fullname" .) }}
{{- end }}

{{/* Where files land inside the container. */}}
{{- define "redlink.dataDir" -}}/var/lib/redlink{{- end }}
{{- define "redlink.linksDir" -}}/etc/redlink/links{{- end }}
{{- define "redlink.authDir" -}}/etc/redlink/auth{{- end }}
{{- define "redlink.linkSecretsDir" -}}/etc/redlink/link-secrets{{- end }}

{{/*
The master-password Secrets the declared links name, as JSON {"<secret>": ["<key>", ...]},
each key once. The StatefulSet mounts each Secret (only those keys) at
<linkSecretsDir>/<secret>/<key>, and the links files point there with password_file.
*/}}
{{- define "redlink.linkSecrets" -}}
{{- $secrets := dict }}
{{- range .Values.links }}
{{- with (.auth | default dict).passwordSecret }}
{{- $keys := get $secrets .name | default list }}
{{- $_ := set $secrets .name (append $keys .key | uniq | sortAlpha) }}
{{- end }}
{{- end }}
{{- toJson $secrets }}
{{- end }}

{{/*
Checks the schema cannot express: link ids are unique.
*/}}
{{- define "redlink.validate" -}}
{{- $seen := dict }}
{{- range .Values.links }}
{{- if hasKey $seen .link_id }}
{{- fail (printf "links: link_id %q is declared twice" .link_id) }}
{{- end }}
{{- $_ := set $seen .link_id true }}
{{- end }}
{{- end }}

{{/*
One links file entry, in redlinkd's --links_file format. Passwords never appear: the entry
points at the mounted Secret file instead.
*/}}
{{- define "redlink.linkEntry" -}}
{{- $link := .link }}
{{- $entry := dict "master" (dict "host" $link.master.host "port" (int $link.master.port)) }}
{{- with $link.auth }}
{{- $auth := dict }}
{{- with .username }}{{ $_ := set $auth "username" . }}{{ end }}
{{- with .passwordSecret }}
{{- $_ := set $auth "password_file" (printf "%s/%s/%s" $.secretsDir .name .key) }}
{{- end }}
{{- if $auth }}{{ $_ := set $entry "auth" $auth }}{{ end }}
{{- end }}
{{- with $link.options }}{{ $_ := set $entry "options" . }}{{ end }}
{{- /* link_id first, for whoever reads the ConfigMap; toYaml sorts the rest. */}}
- link_id: {{ $link.link_id }}
{{- toYaml $entry | nindent 2 }}
{{- end }}
