package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logsafe"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// result is what one attempt of a request produced: a page and the pooled
// buffer its rows alias, or a classified failure.
type result struct {
	page *msgtrace.Page
	buf  *bytes.Buffer
	fail *msgtrace.APIError
	// fromTransport says the client's transport (the token source)
	// produced fail, not the API: its KindThrottled is not the tenant's.
	fromTransport bool
}

func failed(fail *msgtrace.APIError) result { return result{fail: fail} }

// decodeFunc turns a 2xx body into the attempt's result. It owns buf: a
// page keeps it, anything else puts it back before returning.
type decodeFunc func(buf *bytes.Buffer, reqURL *url.URL) result

// attempt sends one request and hands a 2xx body to decode. Its error is
// only the context's end: every other failure is the result's.
func (l *Loop) attempt(ctx context.Context, u string, isLink bool, decode decodeFunc) (result, error) {
	req, err := l.newRequest(ctx, u)
	if err != nil {
		return failed(&msgtrace.APIError{Kind: msgtrace.KindBadRequest,
			Message: fmt.Sprintf("cannot build a request for %s", logsafe.Quote(ShortURL(u))), Err: err}), nil
	}
	resp, err := l.cfg.Client.Do(req)
	if err != nil {
		return l.sendFailed(ctx, req.URL, err)
	}
	defer resp.Body.Close()
	buf, fail, err := l.receive(ctx, resp)
	if fail != nil || err != nil {
		return failed(fail), err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		fail := l.classify(&Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: buf.Bytes(), IsLink: isLink, URL: req.URL})
		putBuffer(buf)
		return failed(fail), nil
	}
	return decode(buf, req.URL), nil
}

func (l *Loop) newRequest(ctx context.Context, u string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	for k, v := range l.cfg.Header {
		req.Header[k] = slices.Clone(v) // a transport may edit the request's
	}
	return req, nil
}

// sendFailed classifies an error of Client.Do: the token source's own
// *msgtrace.APIError keeps its kind, anything else is a transient fault of
// the connection.
func (l *Loop) sendFailed(ctx context.Context, u *url.URL, err error) (result, error) {
	if ctx.Err() != nil {
		return result{}, ctx.Err()
	}
	var tokenErr *msgtrace.APIError
	if errors.As(err, &tokenErr) {
		return result{fail: tokenErr, fromTransport: true}, nil
	}
	return failed(l.transportError(u, err)), nil
}

// receive reads the response body into a pooled buffer, which the caller
// owns when neither fail nor err is set. An error response is read only up
// to maxErrorBodyBytes: its code, message or title come first, and the
// rest is not needed to tell the operator what it said.
func (l *Loop) receive(ctx context.Context, resp *http.Response) (buf *bytes.Buffer, fail *msgtrace.APIError, err error) {
	body, length, limit := io.Reader(resp.Body), resp.ContentLength, l.cfg.MaxBodyBytes
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, limit = io.LimitReader(resp.Body, maxErrorBodyBytes), maxErrorBodyBytes
		if length > limit {
			length = -1
		}
	}
	buf, n, err := readBody(body, length, limit)
	if err == nil {
		return buf, nil, nil
	}
	if ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	var tooLarge *bodyTooLargeError
	if errors.As(err, &tooLarge) {
		return nil, &msgtrace.APIError{Kind: msgtrace.KindTransient, StatusCode: resp.StatusCode,
			Message: l.tooLargeMessage(tooLarge)}, nil
	}
	return nil, &msgtrace.APIError{Kind: msgtrace.KindTransient, StatusCode: resp.StatusCode,
		Message: fmt.Sprintf("connection to %s lost while reading the response (%d bytes received)", l.cfg.Service, n),
		Err:     unwrapURLError(err)}, nil
}

// tooLargeMessage explains a body over its cap. The cap follows page_size
// (see MaxPageBodyBytes), so a body this large is not a page of message
// trace whatever the page size: the operator should look at what answers
// at the endpoint.
func (l *Loop) tooLargeMessage(e *bodyTooLargeError) string {
	what := fmt.Sprintf("sent a response body larger than %s (%s), so it was not read further", mebibytes(e.limit), l.cfg.BodyCap)
	if e.declared > 0 {
		what = fmt.Sprintf("declared a response body of %s (Content-Length), over the %s cap (%s), so it was not read",
			mebibytes(e.declared), mebibytes(e.limit), l.cfg.BodyCap)
	}
	host := "the endpoint"
	if l.cfg.Base != nil {
		host = l.cfg.Base.Host
	}
	return fmt.Sprintf("%s %s. No page or document we ask for is this large: something other than %s may be answering at %s "+
		"(a proxy, a gateway, a faulty service). The request is retried; if this persists, check the endpoint and the proxy settings",
		l.cfg.Service, what, l.cfg.Service, host)
}

// mebibytes renders n bytes as MiB with one decimal ("3.9 MiB").
func mebibytes(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// classify turns an error response into its failure: a 429 means the same
// for both APIs, the rest is the API's Classifier's.
func (l *Loop) classify(r *Response) *msgtrace.APIError {
	if r.StatusCode == http.StatusTooManyRequests {
		return throttled(l.cfg.Service, r)
	}
	return l.cfg.Classify(r)
}

// decode decodes a 2xx body. A body that is not a page is a transient
// failure, described by the decoder or else by diagnoseBody; the buffer
// then goes back to the pool.
func (l *Loop) decode(dec PageDecoder, buf *bytes.Buffer, reqURL *url.URL) result {
	page, err := dec.Decode(buf.Bytes(), reqURL)
	if err == nil {
		return result{page: page, buf: buf}
	}
	fail := l.notTheDocument(buf.Bytes(), err)
	putBuffer(buf)
	return failed(fail)
}

// notTheDocument is the failure of a 2xx body its decoder refused: the
// decoder's own *msgtrace.APIError, or else diagnoseBody's.
func (l *Loop) notTheDocument(body []byte, err error) *msgtrace.APIError {
	var fail *msgtrace.APIError
	if !errors.As(err, &fail) {
		fail = diagnoseBody(l.cfg.Service, body, err)
	}
	return fail
}

func (l *Loop) transportError(u *url.URL, err error) *msgtrace.APIError {
	inner := unwrapURLError(err)
	what := "request to %s (%s) failed"
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		what = "request to %s (%s) timed out"
	}
	return &msgtrace.APIError{Kind: msgtrace.KindTransient, Message: fmt.Sprintf(what, l.cfg.Service, u.Host), Err: inner}
}

// unwrapURLError drops *url.Error's "Get <url>:" prefix: the URL is
// already in the message and a skiptoken can be kilobytes long.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
