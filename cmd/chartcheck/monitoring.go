package main

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The monitoring.coreos.com/v1 fields the chart uses (a subset of the
// prometheus-operator types, with their JSON names): decoding strictly into
// them refuses a misspelt or unsupported field.

type serviceMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		JobLabel          string               `json:"jobLabel,omitempty"`
		Selector          metav1.LabelSelector `json:"selector"`
		NamespaceSelector *struct {
			Any        bool     `json:"any,omitempty"`
			MatchNames []string `json:"matchNames,omitempty"`
		} `json:"namespaceSelector,omitempty"`
		Endpoints []struct {
			Port            string              `json:"port,omitempty"`
			TargetPort      *intstr.IntOrString `json:"targetPort,omitempty"`
			Path            string              `json:"path,omitempty"`
			Scheme          string              `json:"scheme,omitempty"`
			Interval        string              `json:"interval,omitempty"`
			ScrapeTimeout   string              `json:"scrapeTimeout,omitempty"`
			HonorLabels     bool                `json:"honorLabels,omitempty"`
			BearerTokenFile string              `json:"bearerTokenFile,omitempty"`
			Authorization   *struct {
				Type        string                    `json:"type,omitempty"`
				Credentials *corev1.SecretKeySelector `json:"credentials,omitempty"`
			} `json:"authorization,omitempty"`
			TLSConfig *struct { // the operator's SafeTLSConfig
				CA                 *secretOrConfigMap        `json:"ca,omitempty"`
				Cert               *secretOrConfigMap        `json:"cert,omitempty"`
				KeySecret          *corev1.SecretKeySelector `json:"keySecret,omitempty"`
				InsecureSkipVerify bool                      `json:"insecureSkipVerify,omitempty"`
				ServerName         string                    `json:"serverName,omitempty"`
			} `json:"tlsConfig,omitempty"`
		} `json:"endpoints"`
	} `json:"spec"`
}

type secretOrConfigMap struct {
	Secret    *corev1.SecretKeySelector    `json:"secret,omitempty"`
	ConfigMap *corev1.ConfigMapKeySelector `json:"configMap,omitempty"`
}

type prometheusRule struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Groups []struct {
			Name     string `json:"name"`
			Interval string `json:"interval,omitempty"`
			Limit    *int   `json:"limit,omitempty"`
			Rules    []struct {
				Record        string             `json:"record,omitempty"`
				Alert         string             `json:"alert,omitempty"`
				Expr          intstr.IntOrString `json:"expr"`
				For           string             `json:"for,omitempty"`
				KeepFiringFor string             `json:"keep_firing_for,omitempty"`
				Labels        map[string]string  `json:"labels,omitempty"`
				Annotations   map[string]string  `json:"annotations,omitempty"`
			} `json:"rules"`
		} `json:"groups"`
	} `json:"spec"`
}
