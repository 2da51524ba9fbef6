package kubelease

import (
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const contextName = "kubelease"

// WriteKubeconfig writes a kubeconfig (mode 0600: it holds the token) whose
// current context reaches this server with its CA embedded and its bearer
// token, for KUBECONFIG and auth_type kubeConfig.
func (s *Server) WriteKubeconfig(path string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[contextName] = &clientcmdapi.Cluster{Server: s.URL, CertificateAuthorityData: s.tls.CAPEM}
	cfg.AuthInfos[contextName] = &clientcmdapi.AuthInfo{Token: s.token}
	cfg.Contexts[contextName] = &clientcmdapi.Context{Cluster: contextName, AuthInfo: contextName, Namespace: DefaultNamespace}
	cfg.CurrentContext = contextName
	return clientcmd.WriteToFile(*cfg, path)
}
