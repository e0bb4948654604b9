// Package leaky is a small inventory service client with the response-body
// leaks that take real services down. `leakhound scan` reports each of them.
package leaky

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

type Item struct {
	SKU   string `json:"sku"`
	Count int    `json:"count"`
}

type Client struct {
	base string
	http *http.Client
}

func New(base string) *Client {
	return &Client{base: base, http: &http.Client{Timeout: 5 * time.Second}}
}

// Item leaks the body on every non-200 answer: the close comes too late.
func (c *Client) Item(sku string) (*Item, error) {
	resp, err := c.http.Get(c.base + "/items/" + sku)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("item %s: status %d", sku, resp.StatusCode)
	}
	defer resp.Body.Close()
	var it Item
	return &it, json.NewDecoder(resp.Body).Decode(&it)
}

// Ping never closes the body at all.
func (c *Client) Ping() bool {
	resp, err := c.http.Get(c.base + "/healthz")
	if err != nil {
		return false
	}
	return resp.StatusCode == http.StatusOK
}

// Reserve retries, and every failed attempt strands a connection.
func (c *Client) Reserve(req *http.Request) error {
	var resp *http.Response
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		resp, err = c.http.Do(req)
		if err == nil && resp.StatusCode < 500 {
			break
		}
		time.Sleep(time.Duration(attempt) * 100 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return errors.New("reserve failed")
	}
	return nil
}

// Proxy is an HTTP handler that returns early on a bad upstream answer.
func (c *Client) Proxy(w http.ResponseWriter, r *http.Request) {
	upstream, err := c.http.Get(c.base + r.URL.Path)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if upstream.StatusCode >= 400 {
		w.WriteHeader(upstream.StatusCode)
		return
	}
	_, _ = io.Copy(w, upstream.Body)
	upstream.Body.Close()
}

// Warm fires requests and throws the responses away.
func Warm(urls []string) {
	for _, u := range urls {
		http.Get(u)
	}
}
