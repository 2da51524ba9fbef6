package kubelease

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
)

// The media types served: client-go's generated clients for built-in kinds
// send and prefer protobuf, everything else (kubectl, curl) JSON.
const (
	mediaJSON     = runtime.ContentTypeJSON
	mediaProtobuf = runtime.ContentTypeProtobuf
	maxBodySize   = 1 << 20
)

// codecs are apimachinery's own serializers over a scheme that knows what
// this server speaks: Leases, and the meta types (Status, DeleteOptions).
var codecs = func() serializer.CodecFactory {
	s := runtime.NewScheme()
	if err := coordinationv1.AddToScheme(s); err != nil {
		panic(err)
	}
	metav1.AddToGroupVersion(s, schema.GroupVersion{Version: "v1"})
	return serializer.NewCodecFactory(s)
}()

// decodeBody decodes the request body into into (a Lease or DeleteOptions)
// by its Content-Type; an empty body leaves into as it is.
func decodeBody(r *http.Request, into runtime.Object, gvk schema.GroupVersionKind) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodySize+1))
	if err != nil {
		return apierrors.NewBadRequest(err.Error())
	}
	if len(body) > maxBodySize {
		return apierrors.NewRequestEntityTooLargeError("limit is 1048576")
	}
	if len(body) == 0 {
		return nil
	}
	mt := mediaJSON
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err = mime.ParseMediaType(ct); err != nil {
			mt = ct
		}
	}
	info, ok := runtime.SerializerInfoForMediaType(codecs.SupportedMediaTypes(), mt)
	if !ok || (mt != mediaJSON && mt != mediaProtobuf) {
		return &apierrors.StatusError{ErrStatus: metav1.Status{
			Status: metav1.StatusFailure, Code: http.StatusUnsupportedMediaType,
			Reason:  metav1.StatusReasonUnsupportedMediaType,
			Message: fmt.Sprintf("the body of the request was in an unknown format - accepted media types include: %s, %s", mediaJSON, mediaProtobuf),
		}}
	}
	_, got, err := info.Serializer.Decode(body, &gvk, into)
	if err != nil {
		return apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: %v", gvk.Kind, gvk.Version, gvk.Kind, err))
	}
	if got != nil && got.Kind != gvk.Kind {
		return apierrors.NewBadRequest(fmt.Sprintf("the body is a %s, not a %s", got.Kind, gvk.Kind))
	}
	return nil
}

// writeObject encodes obj in the first media type of the request's Accept
// header this server speaks (JSON when none), as the real server
// negotiates.
func writeObject(w http.ResponseWriter, r *http.Request, code int, obj runtime.Object) {
	mt := negotiate(r.Header.Get("Accept"))
	info, _ := runtime.SerializerInfoForMediaType(codecs.SupportedMediaTypes(), mt)
	var buf bytes.Buffer
	if err := codecs.EncoderForVersion(info.Serializer, coordinationv1.SchemeGroupVersion).Encode(obj, &buf); err != nil {
		http.Error(w, "kubelease: encoding the response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", mt)
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

func negotiate(accept string) string {
	for _, part := range strings.Split(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case mediaProtobuf, mediaJSON:
			return mt
		case "*/*", "application/*":
			return mediaJSON
		}
	}
	return mediaJSON
}
