// keepalived 2.2.7's configuration keywords, context by context, as its parser installs them
// (install_keyword_root / install_keyword / install_sublevel in keepalived/core/global_parser.c,
// keepalived/vrrp/vrrp_parser.c, keepalived/check/check_parser.c and check_*.c, keepalived/bfd/bfd_parser.c
// and keepalived/trackers/track_file.c at tag v2.2.7), limited to what Debian 12's keepalived 2.2.7 build
// knows: each keyword below was given to that binary's `keepalived -t` in its context and none was
// "Unknown" (global_defs' vrrp_ipsets is left out: Debian builds without libipset).
// test/unit/forwarding-keepalived-host.test.ts checks them against the installed binary again.
//
//   plain  a keyword with its parameters on its own line           router_id lvs1
//   value  a keyword followed by a block of data lines              virtual_ipaddress { 10.0.0.1/24 }
//   block  a keyword whose block holds keywords of its own context  vrrp_instance VI_1 { state MASTER }

export type KeywordKind = 'plain' | 'value' | 'block';

export interface KeywordContext {
  readonly keywords: ReadonlyMap<string, KeywordKind>;
  readonly blocks: ReadonlyMap<string, KeywordContext>;
}

function ctx(plain: string, value = '', blocks: Record<string, KeywordContext> = {}): KeywordContext {
  const keywords = new Map<string, KeywordKind>();
  for (const k of plain.split(' ').filter(Boolean)) keywords.set(k, 'plain');
  for (const k of value.split(' ').filter(Boolean)) keywords.set(k, 'value');
  for (const k of Object.keys(blocks)) keywords.set(k, 'block');
  return { keywords, blocks: new Map(Object.entries(blocks)) };
}

/** The top level of keepalived.conf. */
export const ROOT_CONTEXT: KeywordContext = ctx(
  'linkbeat_use_polling net_namespace net_namespace_ipvs namespace_with_ipsets use_pid_dir instance ' +
  'child_wait_time',
  'static_ipaddress static_routes static_rules linkbeat_interfaces interface_up_down_delays ' +
  'virtual_server_group', {
  global_defs: ctx(
    'process_names process_name vrrp_process_name checker_process_name lvs_process_name bfd_process_name ' +
    'router_id notification_email_from smtp_server smtp_helo_name smtp_connect_timeout smtp_alert ' +
    'startup_script startup_script_timeout shutdown_script shutdown_script_timeout max_auto_priority ' +
    'min_auto_priority_delay smtp_alert_vrrp smtp_alert_checker checker_log_all_failures ' +
    'dynamic_interfaces no_email_faults default_interface disable_local_igmp lvs_timeouts lvs_flush ' +
    'lvs_flush_on_stop lvs_flush_onstop lvs_sync_daemon vrrp_mcast_group4 vrrp_mcast_group6 ' +
    'vrrp_garp_master_delay vrrp_garp_master_repeat vrrp_garp_master_refresh ' +
    'vrrp_garp_master_refresh_repeat vrrp_garp_lower_prio_delay vrrp_garp_lower_prio_repeat ' +
    'vrrp_down_timer_adverts vrrp_garp_interval vrrp_gna_interval vrrp_min_garp vrrp_garp_extra_if ' +
    'vrrp_vmac_garp_intvl vrrp_lower_prio_no_advert vrrp_higher_prio_send_advert vrrp_version ' +
    'vrrp_iptables nftables nftables_priority nftables_ifindex nftables_ipvs nftables_ipvs_priority ' +
    'nftables_ipvs_start_fwmark nftables_counters vrrp_check_unicast_src vrrp_skip_check_adv_addr ' +
    'vrrp_strict vrrp_priority vrrp_no_swap vrrp_rt_priority vrrp_cpu_affinity vrrp_rlimit_rttime ' +
    'vrrp_rlimit_rtime notify_fifo notify_fifo_script vrrp_notify_fifo vrrp_notify_fifo_script ' +
    'vrrp_notify_priority_changes fifo_write_vrrp_states_on_reload lvs_notify_fifo lvs_notify_fifo_script ' +
    'checker_priority checker_no_swap checker_rt_priority checker_cpu_affinity checker_rlimit_rttime ' +
    'checker_rlimit_rtime bfd_priority bfd_no_swap bfd_rt_priority bfd_cpu_affinity bfd_rlimit_rttime ' +
    'bfd_rlimit_rtime snmp_socket enable_traps enable_snmp_vrrp enable_snmp_keepalived enable_snmp_rfc ' +
    'enable_snmp_rfcv2 enable_snmp_rfcv3 enable_snmp_checker enable_dbus dbus_service_name script_user ' +
    'enable_script_security vrrp_netlink_cmd_rcv_bufs vrrp_netlink_cmd_rcv_bufs_force ' +
    'vrrp_netlink_monitor_rcv_bufs vrrp_netlink_monitor_rcv_bufs_force process_monitor_rcv_bufs ' +
    'process_monitor_rcv_bufs_force lvs_netlink_cmd_rcv_bufs lvs_netlink_cmd_rcv_bufs_force ' +
    'lvs_netlink_monitor_rcv_bufs lvs_netlink_monitor_rcv_bufs_force rs_init_notifies no_checker_emails ' +
    'vrrp_rx_bufs_policy vrrp_rx_bufs_multiplier vrrp_startup_delay log_unknown_vrids vmac_prefix ' +
    'vmac_addr_prefix umask random_seed reload_check_config reload_time_file reload_repeat reload_file ' +
    'include_check config_save_dir tmp_config_directory data_use_instance', 'notification_email'),
  track_group: ctx('', 'group'),
  vrrp_sync_group: ctx(
    'notify_backup notify_master notify_fault notify_stop notify smtp_alert global_tracking ' +
    'sync_group_tracking_weight notify_priority_changes', 'group track_interface track_script track_file track_process track_bfd'),
  garp_group: ctx('garp_interval gna_interval interface', 'interfaces'),
  vrrp_instance: ctx(
    'use_vmac use_vmac_addr vmac_xmit_base use_ipvlan unicast_fault_no_peer check_unicast_src ' +
    'old_unicast_checksum native_ipv6 state interface vrf dont_track_primary mcast_src_ip unicast_src_ip ' +
    'mcast_dst_ip track_src_ip virtual_router_id unicast_ttl version priority advert_int ' +
    'promote_secondaries linkbeat_use_polling accept no_accept skip_check_adv_addr strict_mode preempt ' +
    'nopreempt preempt_delay debug notify_backup notify_master notify_fault notify_stop notify_deleted ' +
    'notify notify_master_rx_lower_pri smtp_alert notify_priority_changes lvs_sync_daemon_interface ' +
    'garp_master_delay garp_master_refresh garp_master_repeat garp_master_refresh_repeat ' +
    'garp_lower_prio_delay garp_lower_prio_repeat down_timer_adverts garp_extra_if vmac_garp_intvl ' +
    'lower_prio_no_advert higher_prio_send_advert kernel_rx_buf_size',
    'unicast_peer track_interface track_script track_file track_process track_bfd virtual_ipaddress ' +
    'virtual_ipaddress_excluded virtual_routes virtual_rules', {
    authentication: ctx('auth_type auth_pass'),
  }),
  vrrp_script: ctx('script interval timeout weight rise fall user init_fail'),
  vrrp_track_process: ctx(
    'process param_match weight quorum quorum_max delay terminate_delay fork_delay full_command'),
  SSL: ctx('password ca certificate key'),
  virtual_server: ctx(
    'ip_family retry delay_before_retry warmup connect_timeout delay_loop inhibit_on_failure lb_algo ' +
    'lvs_sched hashed ops flag-1 flag-2 flag-3 sh-port sh-fallback mh-port mh-fallback lb_kind lvs_method ' +
    'persistence_engine persistence_timeout persistence_granularity protocol ha_suspend smtp_alert ' +
    'virtualhost snmp_name alpha omega quorum_up quorum_down quorum hysteresis weight sorry_server ' +
    'sorry_server_inhibit sorry_server_lvs_method', '', {
    real_server: ctx(
      'weight lvs_method uthreshold lthreshold inhibit_on_failure notify_up notify_down alpha retry ' +
      'delay_before_retry warmup connect_timeout delay_loop smtp_alert virtualhost snmp_name', '', {
      MISC_CHECK: ctx(
        'retry delay_before_retry warmup delay_loop alpha log_all_failures misc_path misc_timeout ' +
        'misc_dynamic user'),
      SMTP_CHECK: ctx(
        'helo_name connect_ip connect_port bindto bind_port bind_if connect_timeout fwmark retry ' +
        'delay_before_retry warmup delay_loop alpha log_all_failures', '', {
        host: ctx(
          'connect_ip connect_port bindto bind_port bind_if connect_timeout fwmark retry delay_before_retry ' +
          'warmup delay_loop alpha log_all_failures'),
      }),
      TCP_CHECK: ctx(
        'connect_ip connect_port bindto bind_port bind_if connect_timeout fwmark retry delay_before_retry ' +
        'warmup delay_loop alpha log_all_failures'),
      PING_CHECK: ctx(
        'connect_ip connect_port bindto bind_port bind_if connect_timeout fwmark retry delay_before_retry ' +
        'warmup delay_loop alpha log_all_failures'),
      UDP_CHECK: ctx(
        'connect_ip connect_port bindto bind_port bind_if connect_timeout fwmark retry delay_before_retry ' +
        'warmup delay_loop alpha log_all_failures payload require_reply min_reply_length max_reply_length'),
      HTTP_GET: ctx(
        'connect_ip connect_port bindto bind_port bind_if connect_timeout fwmark retry delay_before_retry ' +
        'warmup delay_loop alpha log_all_failures nb_get_retry virtualhost http_protocol enable_sni ' +
        'fast_recovery', '', {
        url: ctx(
          'path digest status_code virtualhost regex regex_no_match regex_options regex_min_offset ' +
          'regex_max_offset regex_stack'),
      }),
      SSL_GET: ctx(
        'connect_ip connect_port bindto bind_port bind_if connect_timeout fwmark retry delay_before_retry ' +
        'warmup delay_loop alpha log_all_failures nb_get_retry virtualhost http_protocol enable_sni ' +
        'fast_recovery', '', {
        url: ctx(
          'path digest status_code virtualhost regex regex_no_match regex_options regex_min_offset ' +
          'regex_max_offset regex_stack'),
      }),
      DNS_CHECK: ctx(
        'connect_ip connect_port bindto bind_port bind_if connect_timeout fwmark retry delay_before_retry ' +
        'warmup delay_loop alpha log_all_failures type name'),
      FILE_CHECK: ctx('track_file weight'),
      BFD_CHECK: ctx('name alpha'),
    }),
  }),
  bfd_instance: ctx(
    'source_ip neighbor_ip neighbour_ip min_rx min_tx idle_tx multiplier passive ttl hoplimit max_hops ' +
    'weight vrrp checker'),
  track_file: ctx('file weight init_file'),
  vrrp_track_file: ctx('file weight init_file'),
});
