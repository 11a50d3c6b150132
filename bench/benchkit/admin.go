package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func newClient(brokers string, opts ...kgo.Opt) (*kgo.Client, error) {
	base := []kgo.Opt{
		kgo.SeedBrokers(strings.Split(brokers, ",")...),
		kgo.ClientID("irisctl-benchkit"),
	}
	return kgo.NewClient(append(base, opts...)...)
}

// topicsCmd creates or deletes topics. Created topics have one replica; with
// --log-append-time the broker stamps every record with its append time,
// which the latency measurement reads on the output topic.
func topicsCmd(args []string) error {
	if len(args) < 1 || (args[0] != "create" && args[0] != "delete") {
		return errors.New("want create or delete")
	}
	verb := args[0]
	fs := flag.NewFlagSet("topics", flag.ContinueOnError)
	brokers := fs.String("brokers", "127.0.0.1:29092", "bootstrap brokers")
	partitions := fs.Int("partitions", 3, "partitions of created topics")
	logAppend := fs.Bool("log-append-time", false, "message.timestamp.type=LogAppendTime")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	topics := fs.Args()
	if len(topics) == 0 {
		return errors.New("no topics named")
	}
	for _, t := range topics {
		if !strings.HasPrefix(t, "bench-") {
			return fmt.Errorf("topic %q: benchkit only touches topics named bench-*", t)
		}
	}
	cl, err := newClient(*brokers)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	if verb == "delete" {
		req := kmsg.NewPtrDeleteTopicsRequest()
		req.TimeoutMillis = 20000
		for _, t := range topics {
			rt := kmsg.NewDeleteTopicsRequestTopic()
			rt.Topic = kmsg.StringPtr(t)
			req.Topics = append(req.Topics, rt)
			req.TopicNames = append(req.TopicNames, t)
		}
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return err
		}
		for _, t := range resp.Topics {
			if err := kerr.ErrorForCode(t.ErrorCode); err != nil && !errors.Is(err, kerr.UnknownTopicOrPartition) {
				return fmt.Errorf("delete %s: %w", deref(t.Topic), err)
			}
		}
		return nil
	}

	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 20000
	for _, t := range topics {
		rt := kmsg.NewCreateTopicsRequestTopic()
		rt.Topic = t
		rt.NumPartitions = int32(*partitions)
		rt.ReplicationFactor = 1
		if *logAppend {
			c := kmsg.NewCreateTopicsRequestTopicConfig()
			c.Name = "message.timestamp.type"
			c.Value = kmsg.StringPtr("LogAppendTime")
			rt.Configs = append(rt.Configs, c)
		}
		req.Topics = append(req.Topics, rt)
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return err
	}
	for _, t := range resp.Topics {
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			return fmt.Errorf("create %s: %w", t.Topic, err)
		}
	}
	// Wait until every partition has a leader, so the first produce does not race the creation.
	for _, t := range topics {
		if err := waitLeaders(ctx, cl, t, *partitions); err != nil {
			return err
		}
	}
	return nil
}

func waitLeaders(ctx context.Context, cl *kgo.Client, topic string, want int) error {
	for {
		req := kmsg.NewPtrMetadataRequest()
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(topic)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctx, cl)
		if err == nil && len(resp.Topics) == 1 && resp.Topics[0].ErrorCode == 0 {
			ok := 0
			for _, p := range resp.Topics[0].Partitions {
				if p.ErrorCode == 0 && p.Leader >= 0 {
					ok++
				}
			}
			if ok == want {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("topic %s: partitions without a leader after the timeout", topic)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// groupsCmd deletes consumer groups (the benchmark's, named bench-*).
func groupsCmd(args []string) error {
	if len(args) < 1 || args[0] != "delete" {
		return errors.New("want delete")
	}
	fs := flag.NewFlagSet("groups", flag.ContinueOnError)
	brokers := fs.String("brokers", "127.0.0.1:29092", "bootstrap brokers")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	groups := fs.Args()
	for _, g := range groups {
		if !strings.HasPrefix(g, "bench-") {
			return fmt.Errorf("group %q: benchkit only touches groups named bench-*", g)
		}
	}
	if len(groups) == 0 {
		return nil
	}
	cl, err := newClient(*brokers)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req := kmsg.NewPtrDeleteGroupsRequest()
	req.Groups = groups
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return err
	}
	for _, g := range resp.Groups {
		if err := kerr.ErrorForCode(g.ErrorCode); err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
			fmt.Fprintf(os.Stderr, "benchkit groups: %s: %v\n", g.Group, err)
		}
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
