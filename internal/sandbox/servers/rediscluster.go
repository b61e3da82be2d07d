package servers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// RedisCluster is a throwaway Redis Cluster of masters on loopback, slots
// split evenly, all sharing one password.
type RedisCluster struct {
	Nodes    []*Redis
	Password string
}

// Addrs are the nodes' host:port.
func (c *RedisCluster) Addrs() []string {
	out := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		out[i] = n.Addr()
	}
	return out
}

// StartRedisCluster starts masters nodes, assigns the 16384 slots and joins
// them, then waits until every node reports cluster_state:ok.
func StartRedisCluster(ctx context.Context, masters int) (*RedisCluster, error) {
	if err := refuseShort(); err != nil {
		return nil, err
	}
	c := &RedisCluster{Password: randomSecret()}
	var buses []int
	fail := func(err error) (*RedisCluster, error) {
		c.Stop()
		return nil, err
	}
	for i := 0; i < masters; i++ {
		// The cluster bus needs a port of its own: port+10000 may not exist.
		bus, err := FreePort()
		if err != nil {
			return fail(err)
		}
		n, err := StartRedis(ctx, RedisOptions{Password: c.Password, Config: fmt.Sprintf(
			"cluster-enabled yes\ncluster-config-file nodes.conf\ncluster-node-timeout 2000\ncluster-port %d\nmasterauth %s\n", bus, c.Password)})
		if err != nil {
			return fail(err)
		}
		c.Nodes = append(c.Nodes, n)
		buses = append(buses, bus)
	}
	per := 16384 / masters
	for i, n := range c.Nodes {
		lo, hi := i*per, (i+1)*per-1
		if i == masters-1 {
			hi = 16383
		}
		if err := n.Do(ctx, 0, []string{"CLUSTER", "ADDSLOTSRANGE", strconv.Itoa(lo), strconv.Itoa(hi)}); err != nil {
			return fail(fmt.Errorf("assign slots: %w", err))
		}
	}
	for i, n := range c.Nodes[1:] {
		if err := c.Nodes[0].Do(ctx, 0, []string{"CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(n.Port), strconv.Itoa(buses[i+1])}); err != nil {
			return fail(fmt.Errorf("cluster meet: %w", err))
		}
	}
	for _, n := range c.Nodes {
		for {
			info, err := n.Get(ctx, "CLUSTER", "INFO")
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(masters)) {
				break
			}
			select {
			case <-ctx.Done():
				return fail(fmt.Errorf("cluster did not form: %v (last: %q, %v)", ctx.Err(), info, err))
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return c, nil
}

// Stop stops every node.
func (c *RedisCluster) Stop() error {
	var errs []error
	for _, n := range c.Nodes {
		errs = append(errs, n.Stop())
	}
	return errors.Join(errs...)
}
