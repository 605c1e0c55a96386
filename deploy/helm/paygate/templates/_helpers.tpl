{{/* Names, labels and the pieces the Deployment and the migration Job share. */}}

{{- define "paygate.fullname" -}}
{{- if contains "paygate" .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-paygate" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "paygate.selectorLabels" -}}
app.kubernetes.io/name: paygate
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "paygate.labels" -}}
{{ include "paygate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "paygate.secretName" -}}
{{- default (include "paygate.fullname" .) .Values.secrets.name -}}
{{- end -}}

{{- define "paygate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "paygate.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "paygate.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* One Secret key as an environment variable. */}}
{{- define "paygate.secretEnv" -}}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .key }}
{{- end -}}

{{/* The database URL: all that `paygate migrate` needs. */}}
{{- define "paygate.dbEnv" -}}
{{ include "paygate.secretEnv" (dict "env" "PAYGATE_DATABASE_URL" "secret" (include "paygate.secretName" .) "key" "database-url") }}
- name: PAYGATE_DATA_DIR
  value: /var/lib/paygate
- name: PAYGATE_LOG
  value: {{ .Values.gateway.log | quote }}
{{- if .Values.gateway.configFile }}
- name: PAYGATE_CONFIG
  value: /etc/paygate/paygate.toml
{{- end }}
{{- end -}}

{{/* Pod-level security: a non-root user with the image's uid, the runtime's seccomp profile. */}}
{{- define "paygate.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "paygate.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end -}}

{{/* The Cloud SQL Auth Proxy as a native sidecar (an init container that keeps running). */}}
{{- define "paygate.cloudSqlProxy" -}}
{{- if .Values.cloudSqlProxy.enabled }}
{{- if not .Values.cloudSqlProxy.instanceConnectionName }}
{{- fail "cloudSqlProxy.instanceConnectionName is required when cloudSqlProxy.enabled (PROJECT:REGION:INSTANCE)" }}
{{- end }}
- name: cloud-sql-proxy
  image: {{ .Values.cloudSqlProxy.image }}
  restartPolicy: Always
  args:
    {{- toYaml .Values.cloudSqlProxy.args | nindent 4 }}
    - {{ .Values.cloudSqlProxy.instanceConnectionName | quote }}
  startupProbe:
    httpGet:
      path: /startup
      port: 9801
    periodSeconds: 1
    failureThreshold: 30
  securityContext:
    {{- include "paygate.containerSecurityContext" . | nindent 4 }}
  resources:
    {{- toYaml .Values.cloudSqlProxy.resources | nindent 4 }}
{{- end }}
{{- end -}}

{{/* Writable directories of a read-only root filesystem, and the optional paygate.toml. */}}
{{- define "paygate.volumeMounts" -}}
- name: data
  mountPath: /var/lib/paygate
- name: tmp
  mountPath: /tmp
{{- if .Values.gateway.configFile }}
- name: config
  mountPath: /etc/paygate
  readOnly: true
{{- end }}
{{- end -}}

{{- define "paygate.volumes" -}}
- name: data
  emptyDir:
    sizeLimit: 256Mi
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- if .Values.gateway.configFile }}
- name: config
  configMap:
    name: {{ include "paygate.fullname" . }}
{{- end }}
{{- end -}}
